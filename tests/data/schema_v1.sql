-- The schema of the first release (made by create_all, before versioned migrations).
CREATE TABLE adapters (
	id INTEGER NOT NULL, 
	workspace VARCHAR(255) NOT NULL, 
	name VARCHAR(255) NOT NULL, 
	description TEXT, 
	fileset VARCHAR(255) NOT NULL, 
	finetuning_type VARCHAR(32) NOT NULL, 
	enabled BOOLEAN NOT NULL, 
	lora_rank BIGINT, 
	lora_alpha BIGINT, 
	model VARCHAR(127) NOT NULL, 
	created_at DATETIME NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_adapters_workspace_name UNIQUE (workspace, name)
);
CREATE INDEX ix_adapters_workspace_model ON adapters (workspace, model, name);
CREATE INDEX ix_adapters_workspace_finetuning_type ON adapters (workspace, finetuning_type, name);
CREATE INDEX ix_adapters_workspace_enabled ON adapters (workspace, enabled, name);
CREATE INDEX ix_adapters_workspace_updated_at ON adapters (workspace, updated_at, name);
CREATE INDEX ix_adapters_workspace_created_at ON adapters (workspace, created_at, name);
CREATE INDEX ix_adapters_workspace_fileset ON adapters (workspace, fileset, name);
CREATE TABLE workspaces (
	name VARCHAR(255) NOT NULL, 
	adapter_count BIGINT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (name)
);
