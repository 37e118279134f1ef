DROP TABLE message_reads;
DROP TABLE message_attachments;
DROP TABLE request_messages;
