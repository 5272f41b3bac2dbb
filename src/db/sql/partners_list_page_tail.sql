  ) p ON true
  -- LATERAL … LIMIT 1: a keyed lookup per row of the page. With plain joins the generic plan
  -- (it guesses 200 rows for the six branches) hashed the whole of partner_summaries.
  LEFT JOIN LATERAL (
       SELECT has_logo, logo_updated_at, domains, admin_name, admin_email, admin_pending, product_count,
              api_count, partner_code
         FROM partner_summaries WHERE partner_id = p.id LIMIT 1
  ) m ON true
 WHERE e.id = $1
