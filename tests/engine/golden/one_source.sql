-- source 1 of 1: left_rows(_fh_row = the spine row, _fh_rowt = "ts", _fh_rowl0 = "cc_num")
WITH s AS (
  SELECT "cc_num" AS "_fh_rowk0", "ts" AS _fh_rowt, "amount" AS "amount", "merchant" AS "merchant"
  FROM source WHERE "ts" <= ?
)
SELECT l._fh_row, s."amount", s."merchant"
FROM left_rows l ASOF LEFT JOIN s ON l._fh_rowl0 = s."_fh_rowk0" AND l._fh_rowt >= s._fh_rowt;
