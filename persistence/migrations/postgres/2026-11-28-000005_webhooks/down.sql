DROP INDEX outbox_recipient;
DROP TABLE webhook_endpoints;
