WITH s0 AS (
  SELECT "cc_num" AS "_fh_rowk0", "ts" AS _fh_rowt, "amount" AS "amount", "merchant" AS "merchant"
  FROM source_0 WHERE "ts" <= ?
),
s1 AS (
  SELECT "id" AS "_fh_rowk0", "ts" AS _fh_rowt, "category" AS "m_category"
  FROM source_1 WHERE "ts" <= ?
)
SELECT s0."amount" AS "amount", s0."merchant" AS "merchant", s1."m_category" AS "m_category"
FROM left_rows l
ASOF LEFT JOIN s0 ON l."cc_num" = s0."_fh_rowk0" AND l."ts" >= s0._fh_rowt
ASOF LEFT JOIN s1 ON s0."merchant" = s1."_fh_rowk0" AND l."ts" >= s1._fh_rowt
ORDER BY l._fh_row