"""The `forcebridge demo` material: a billing vendor's database and the integrations over it.

The demo plays the vendor of the seeds (a billing platform syncing accounts, contracts,
prepayments/commitments and balances into a managed package in the customer's org), so what
it shows is the product's main job, end to end, on nothing but the embedded defaults.
"""
