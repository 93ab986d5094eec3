create table if not exists card_blocks (
  payment_id varchar(64) primary key,
  card varchar(64) not null,
  score int not null,
  blocked_at timestamp default current_timestamp not null
);
