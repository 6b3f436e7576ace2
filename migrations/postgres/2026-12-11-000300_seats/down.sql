DROP TABLE seat_assignments;
