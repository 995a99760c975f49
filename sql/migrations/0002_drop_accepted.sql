-- A full snapshot that would delete more than load.max_delete_share of an
-- object's records is held; coxswain build --accept-drop NAME loads it, and
-- what was accepted is kept with the drop.
ALTER TABLE meta.drops ADD COLUMN accepted VARCHAR;
