-- Issue 12, 2026-12-04 (twelfth session): an experiment, not a migration.
-- Converts a copy of a gpcloud store (schema version 17) to the integer-key
-- design of the sqlstore doc ("Integer keys"), to measure its size and the
-- time of the conversion before the rewrite: every resource and reference
-- target numbered in resource_key, each index row named by its resource's
-- rid (owner indexes led by it), reference rows by their target's rid,
-- composite and quantity systems by token_system numbers, resource_current
-- with its rid. Variant A: index rows keep their type (lookup indexes (type, pid, values..., rid)).
-- Searches do not work on the result. Figures: bench/README.md, "The
-- integer-key design converted in SQL".
--
-- psql -c 'SET search_path = SCHEMA' -f bench/experiments/rids/postgres-A.sql   (on a copy; VACUUM FULL the base's tables before comparing)
SET maintenance_work_mem = '256MB';
BEGIN;
INSERT INTO resource_key(type,id) SELECT type,id FROM resource_current ON CONFLICT DO NOTHING;
INSERT INTO resource_key(type,id) SELECT DISTINCT target_type, target_id FROM reference_index WHERE target_id <> '' ON CONFLICT DO NOTHING;
INSERT INTO token_system(url) SELECT system FROM quantity_index UNION SELECT first_system FROM composite_index UNION SELECT system FROM composite_index ON CONFLICT DO NOTHING;
CREATE TABLE token_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.sid AS sid, t.code AS code, t.text AS text, t.patient_rid AS patient_rid FROM token_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE token_index; ALTER TABLE token_index_new RENAME TO token_index;
CREATE INDEX token_index_lookup ON token_index (type, pid, code, sid, patient_rid, rid);
CREATE INDEX token_index_owner ON token_index (rid, pid, code, sid);
CREATE TABLE string_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.norm AS norm, t.exact AS exact FROM string_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE string_index; ALTER TABLE string_index_new RENAME TO string_index;
CREATE INDEX string_index_lookup ON string_index (type, pid, norm, rid);
CREATE INDEX string_index_owner ON string_index (rid, pid, norm);
CREATE TABLE reference_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.target_type AS target_type, coalesce(g.rid,0) AS target_rid, t.url AS url FROM reference_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id LEFT JOIN resource_key g ON g.type = t.target_type AND g.id = t.target_id;
DROP TABLE reference_index; ALTER TABLE reference_index_new RENAME TO reference_index;
CREATE INDEX reference_index_lookup ON reference_index (type, pid, target_rid, rid);
CREATE INDEX reference_index_owner ON reference_index (rid, pid, target_rid);
CREATE TABLE date_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.lo AS lo, t.hi AS hi FROM date_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE date_index; ALTER TABLE date_index_new RENAME TO date_index;
CREATE INDEX date_index_hi ON date_index (type, pid, hi, lo, rid);
CREATE INDEX date_index_lo ON date_index (type, pid, lo, hi, rid);
CREATE INDEX date_index_owner ON date_index (rid, pid, lo, hi);
CREATE TABLE number_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.value AS value, t.lo AS lo, t.hi AS hi FROM number_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE number_index; ALTER TABLE number_index_new RENAME TO number_index;
CREATE INDEX number_index_lookup ON number_index (type, pid, value, rid);
CREATE INDEX number_index_owner ON number_index (rid, pid, value);
CREATE TABLE quantity_index_new AS SELECT t.type, k.rid, t.pid AS pid, coalesce((SELECT s.sid FROM token_system s WHERE s.url = t.system),0) AS sid, t.code AS code, t.unit AS unit, t.value AS value, t.lo AS lo, t.hi AS hi FROM quantity_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE quantity_index; ALTER TABLE quantity_index_new RENAME TO quantity_index;
CREATE INDEX quantity_index_lookup ON quantity_index (type, pid, value, rid);
CREATE INDEX quantity_index_owner ON quantity_index (rid, pid, value);
CREATE TABLE uri_index_new AS SELECT t.type, k.rid, t.pid AS pid, t.uri AS uri FROM uri_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE uri_index; ALTER TABLE uri_index_new RENAME TO uri_index;
CREATE INDEX uri_index_lookup ON uri_index (type, pid, uri, rid);
CREATE INDEX uri_index_owner ON uri_index (rid, pid, uri);
CREATE TABLE composite_index_new AS SELECT t.type, k.rid, t.pid AS pid, coalesce((SELECT s.sid FROM token_system s WHERE s.url = t.first_system),0) AS first_sid, t.first_code AS first_code, coalesce((SELECT s.sid FROM token_system s WHERE s.url = t.system),0) AS sid, t.code AS code, t.lo AS lo, t.hi AS hi FROM composite_index t JOIN resource_key k ON k.type = t.type AND k.id = t.id;
DROP TABLE composite_index; ALTER TABLE composite_index_new RENAME TO composite_index;
CREATE INDEX composite_index_lookup ON composite_index (type, pid, first_code, first_sid, lo, hi, code, sid, rid);
CREATE INDEX composite_index_owner ON composite_index (rid, pid, first_code, first_sid, lo, hi, code, sid);
ALTER TABLE resource_current ADD COLUMN rid BIGINT; UPDATE resource_current c SET rid = k.rid FROM resource_key k WHERE k.type = c.type AND k.id = c.id; CREATE INDEX resource_current_rid ON resource_current (type, rid);
COMMIT;
VACUUM FULL resource_current;
