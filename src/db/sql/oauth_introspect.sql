-- Introspection (RFC 7662) and the gateway check, in one statement: the gateway credential's
-- secret hash, and the token only if everything behind it still holds right now: not expired,
-- its credential not revoked, the secret that obtained it still valid, the application not
-- deleted (its rows are gone), the partnership active. `api_ids`, `api_names` and `base_paths`
-- list the token's APIs still granted in its environment (arrays rather than JSON: about a
-- tenth more introspections per second); none (NULL) means inactive too (the caller decides).
SELECT g.secret_hash AS gateway_hash,
       t.*
  FROM gateway_credentials g
  LEFT JOIN LATERAL (
        SELECT c.client_id                                 AS client_id,
               extract(epoch FROM tk.created_at)::bigint   AS issued_at,
               extract(epoch FROM tk.expires_at)::bigint   AS expires_at,
               extract(epoch FROM s.expires_at)::bigint    AS secret_expires_at,
               p.id                                        AS partner_id,
               p.name                                      AS partner_name,
               o.partner_code                              AS partner_code,
               pa.id                                       AS application_id,
               pa.name                                     AS application_name,
               env.id                                      AS environment_id,
               env.name                                    AS environment_name,
               granted.api_ids                             AS api_ids,
               granted.api_names                           AS api_names,
               granted.base_paths                          AS base_paths
          FROM access_tokens tk
          JOIN application_credentials c ON c.id = tk.credential_id AND c.enterprise_id = tk.enterprise_id
                                        AND c.revoked_at IS NULL
          JOIN client_secrets s ON s.id = tk.secret_id AND s.enterprise_id = tk.enterprise_id
                               AND (s.expires_at IS NULL OR s.expires_at > now())
          JOIN partner_applications pa ON pa.id = c.application_id AND pa.enterprise_id = tk.enterprise_id
          JOIN partners p ON p.id = pa.partner_id AND p.enterprise_id = tk.enterprise_id AND p.status = 'active'
          JOIN partner_organisations o ON o.id = p.organisation_id
          JOIN environments env ON env.id = c.environment_id AND env.enterprise_id = tk.enterprise_id
          -- The token's APIs still granted in its environment, as three parallel arrays.
          CROSS JOIN LATERAL (
               SELECT array_agg(a.id ORDER BY a.base_path, a.id)        AS api_ids,
                      array_agg(a.name ORDER BY a.base_path, a.id)      AS api_names,
                      array_agg(a.base_path ORDER BY a.base_path, a.id) AS base_paths
                 FROM partner_api_environments pae
                 JOIN apis a ON a.id = pae.api_id AND a.enterprise_id = tk.enterprise_id
                WHERE pae.partner_id = p.id
                  AND pae.environment_id = c.environment_id
                  AND pae.api_id = ANY (tk.api_ids)
          ) granted
         WHERE tk.token_hash = $3
           AND tk.enterprise_id = g.enterprise_id
           AND tk.expires_at > now()
       ) t ON true
 WHERE g.enterprise_id = $1
   AND g.client_id = $2
   AND g.revoked_at IS NULL
