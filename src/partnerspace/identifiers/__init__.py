"""Validation and normalization of identifiers: countries, enterprise/VAT numbers, IBANs."""
