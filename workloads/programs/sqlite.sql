-- sqlite.sql - the program suite's SQLite workload (programs.list): builds
-- its own tables with recursive CTEs (no input file), then indexes, joins,
-- aggregates, updates, deletes and vacuums.  Deterministic: no random(),
-- no dates; every query has an ORDER BY, so the output is the same on
-- every allocator.
PRAGMA cache_size = -16000;
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL, note TEXT);
CREATE TABLE tag(item INTEGER, label TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60000)
INSERT INTO item SELECT i, 'item-' || (i * 7919 % 100003), i % 97, (i * 31 % 1000) / 10.0,
       substr('alloc free heap block arena slab buddy chunk page bin', 1 + i % 40, 5 + i % 20)
FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 120000)
INSERT INTO tag SELECT 1 + (i * 104729 % 60000), 'label' || (i % 311) FROM n;
CREATE INDEX item_grp ON item(grp, price);
CREATE INDEX tag_item ON tag(item);
CREATE INDEX tag_label ON tag(label);
SELECT grp, count(*), round(sum(price), 2), max(name) FROM item GROUP BY grp ORDER BY grp LIMIT 20;
SELECT t.label, count(*), round(avg(i.price), 3) FROM tag t JOIN item i ON i.id = t.item
 GROUP BY t.label ORDER BY count(*) DESC, t.label LIMIT 20;
SELECT group_concat(name, ',') FROM (SELECT name FROM item WHERE grp = 5 ORDER BY price, id LIMIT 200);
UPDATE item SET note = note || '-' || name, price = price * 1.5 WHERE grp % 3 = 0;
DELETE FROM tag WHERE item % 7 = 0;
SELECT count(*), round(sum(price), 2), sum(length(note)) FROM item;
SELECT label, count(DISTINCT item) FROM tag GROUP BY label ORDER BY 2 DESC, 1 LIMIT 10;
VACUUM;
SELECT count(*) FROM tag;
