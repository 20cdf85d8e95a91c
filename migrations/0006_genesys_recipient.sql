-- A customer's reply goes to the Genesys channel that last wrote to that customer: found by recipient.
CREATE INDEX deliveries_by_genesys_recipient ON deliveries (tenant_id, genesys_recipient, created_at)
  WHERE genesys_recipient IS NOT NULL;
