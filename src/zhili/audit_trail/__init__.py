"""The audit record's pages for administrators: read the chain by filters, and verify it (`/admin/audit`)."""
