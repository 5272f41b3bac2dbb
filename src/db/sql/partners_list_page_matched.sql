            ) AS matched
       FROM partners p
      WHERE p.enterprise_id = $1
