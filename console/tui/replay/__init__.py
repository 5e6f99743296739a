"""Replay: every screen as of a past instant, read-only (`vigil --at TIME`, `:at TIME`)."""
