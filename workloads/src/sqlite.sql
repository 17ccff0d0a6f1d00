-- workloads/src/sqlite.sql: the session recorded into workloads/sqlite.trace.
-- Builds a small shop database in memory and queries it: inserts inside a
-- transaction, an index build, joins, grouping, sorting, an update and deletes.
CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER, item TEXT, qty INTEGER,
                    price REAL, note TEXT);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
INSERT INTO customer SELECT i, 'customer-' || i, 'city-' || (i % 37) FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12000)
INSERT INTO orders SELECT i, 1 + (i * 7919) % 2000, 'item-' || (i % 211), 1 + i % 9,
       (i % 1000) / 10.0, substr('q8Jx0LmZp3VbN6cW2tYk9RgHs4EfA7uDo1IiT5rGy', 1 + i % 11, 5 + i % 30) FROM n;
COMMIT;
CREATE INDEX orders_customer ON orders(customer);
SELECT c.city, count(*), sum(o.qty * o.price) FROM orders o JOIN customer c ON c.id = o.customer
 GROUP BY c.city ORDER BY 3 DESC LIMIT 5;
SELECT item, avg(price) FROM orders GROUP BY item ORDER BY 2 DESC LIMIT 3;
UPDATE orders SET note = note || '-shipped' WHERE qty > 5;
DELETE FROM orders WHERE id % 5 = 0;
SELECT count(*), length(group_concat(note)) FROM orders;
