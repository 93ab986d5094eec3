-- Exactly outbox table for mariadb; the relay creates the same table when absent.
-- Rename exactly_outbox if you like, and give the relay and the Outbox the same name.
CREATE TABLE IF NOT EXISTS exactly_outbox (id BIGINT NOT NULL AUTO_INCREMENT, topic VARCHAR(249) NOT NULL, msg_key MEDIUMBLOB NULL, msg_value MEDIUMBLOB NULL, headers MEDIUMBLOB NULL, created_at BIGINT NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
