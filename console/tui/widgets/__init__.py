"""Widgets shared by the screens: breadcrumbs, status bar, command line, tables."""
