"""The API's wire models (request and response shapes), one module per resource, on one camelCase base."""
