"""Other systems' APIs (HubSpot, ...) and how their records become lead values."""
