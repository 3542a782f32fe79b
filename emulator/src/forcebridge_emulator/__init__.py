"""A local Salesforce org that speaks the real wire protocol (see `forcebridge emulator serve`)."""
