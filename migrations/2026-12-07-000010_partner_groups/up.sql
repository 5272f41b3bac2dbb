-- Partner groups (SPEC §12): each partnership is in exactly one group of its enterprise; every
-- enterprise has its group "Partners" (the default, where new partnerships start). A group may
-- carry default access (products, API × environment) offered to each partnership that joins it.
CREATE TABLE partner_groups (
    id            BIGSERIAL PRIMARY KEY,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises (id) ON DELETE CASCADE,
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    description   TEXT NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    is_default    BOOLEAN NOT NULL DEFAULT false,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (enterprise_id, id)
);
CREATE UNIQUE INDEX partner_groups_name ON partner_groups (enterprise_id, lower(name));
CREATE UNIQUE INDEX partner_groups_one_default ON partner_groups (enterprise_id) WHERE is_default;

CREATE TABLE group_products (
    enterprise_id BIGINT NOT NULL,
    group_id      BIGINT NOT NULL,
    product_id    BIGINT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, product_id),
    FOREIGN KEY (enterprise_id, group_id) REFERENCES partner_groups (enterprise_id, id) ON DELETE CASCADE
);

CREATE TABLE group_api_environments (
    enterprise_id  BIGINT NOT NULL,
    group_id       BIGINT NOT NULL,
    api_id         BIGINT NOT NULL REFERENCES apis (id) ON DELETE CASCADE,
    environment_id BIGINT NOT NULL REFERENCES environments (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, api_id, environment_id),
    FOREIGN KEY (enterprise_id, group_id) REFERENCES partner_groups (enterprise_id, id) ON DELETE CASCADE
);

INSERT INTO partner_groups (enterprise_id, name, description, is_default)
SELECT id, 'Partners', 'Where new partnerships start.', true FROM enterprises;

-- A new enterprise gets its default group.
CREATE FUNCTION enterprise_default_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_groups (enterprise_id, name, description, is_default)
    VALUES (NEW.id, 'Partners', 'Where new partnerships start.', true);
    RETURN NEW;
END $$;
CREATE TRIGGER enterprise_default_group AFTER INSERT ON enterprises
    FOR EACH ROW EXECUTE FUNCTION enterprise_default_group();

ALTER TABLE partners ADD COLUMN group_id BIGINT;
UPDATE partners p SET group_id = g.id FROM partner_groups g WHERE g.enterprise_id = p.enterprise_id AND g.is_default;
ALTER TABLE partners ALTER COLUMN group_id SET NOT NULL;
ALTER TABLE partners ADD CONSTRAINT partners_group FOREIGN KEY (enterprise_id, group_id)
    REFERENCES partner_groups (enterprise_id, id);
CREATE INDEX partners_group ON partners (enterprise_id, group_id);

-- A partnership made without naming a group (the wizard, a Partner ID connection, an import)
-- starts in the enterprise's default group.
CREATE FUNCTION partner_default_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.group_id IS NULL THEN
        SELECT id INTO NEW.group_id FROM partner_groups WHERE enterprise_id = NEW.enterprise_id AND is_default;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER partner_default_group BEFORE INSERT ON partners
    FOR EACH ROW EXECUTE FUNCTION partner_default_group();
