"""Integrations of every kind, as the faces change them: above the engines, below the faces.

Saving checks a kind's configuration against the org with that kind's engine (`checks`,
`saves`), YAML files apply and export many at once (`files`), and retrying an event goes back
through the engine that failed it (`retries`). The service layer keeps the records; the engines
(`runs`, `outbox`, `forms`) build on it; these use cases build on both.
"""
