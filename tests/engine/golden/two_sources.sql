-- source 1 of 2: left_rows(_fh_row = the spine row, _fh_rowt = "ts", _fh_rowl0 = "cc_num")
WITH s AS (
  SELECT "cc_num" AS "_fh_rowk0", "ts" AS _fh_rowt, "amount" AS "amount", "merchant" AS "merchant"
  FROM source WHERE "ts" <= ?
)
SELECT l._fh_row, s."amount", s."merchant"
FROM left_rows l ASOF LEFT JOIN s ON l._fh_rowl0 = s."_fh_rowk0" AND l._fh_rowt >= s._fh_rowt;

-- source 2 of 2: left_rows(_fh_row = the spine row, _fh_rowt = "ts", _fh_rowl0 = "cc_num")
WITH s AS (
  SELECT "card" AS "_fh_rowk0", "updated" AS _fh_rowt, "city" AS "p_city", "age" AS "p_age"
  FROM source WHERE "updated" <= ?
)
SELECT l._fh_row, s."p_city", s."p_age"
FROM left_rows l ASOF LEFT JOIN s ON l._fh_rowl0 = s."_fh_rowk0" AND l._fh_rowt >= s._fh_rowt;
