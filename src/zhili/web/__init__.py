"""The web shell: layout, i18n, templating and vendored static assets."""
