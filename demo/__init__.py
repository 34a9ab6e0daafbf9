"""The demo staging system: a small but honest ISP billing platform that golive verifies."""
