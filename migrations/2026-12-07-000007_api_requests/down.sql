DROP TABLE api_rate_windows;
DROP TABLE api_idempotency_keys;
