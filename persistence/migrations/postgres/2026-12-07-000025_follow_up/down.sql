DROP TABLE request_followers;
DROP TABLE request_assignees;
