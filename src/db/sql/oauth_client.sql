-- The token endpoint's client: a live credential by its client id, with its partnership's
-- status and each secret that still works (a row per secret; none: the client is unknown).
SELECT c.id             AS credential_id,
       c.environment_id AS environment_id,
       p.id             AS partner_id,
       p.status         AS partner_status,
       s.id             AS secret_id,
       s.secret_hash    AS secret_hash
  FROM application_credentials c
  JOIN partner_applications pa ON pa.id = c.application_id AND pa.enterprise_id = c.enterprise_id
  JOIN partners p ON p.id = pa.partner_id AND p.enterprise_id = c.enterprise_id
  JOIN client_secrets s ON s.credential_id = c.id AND s.enterprise_id = c.enterprise_id
                       AND (s.expires_at IS NULL OR s.expires_at > now())
 WHERE c.enterprise_id = $1
   AND c.client_id = $2
   AND c.revoked_at IS NULL
 ORDER BY s.id DESC
