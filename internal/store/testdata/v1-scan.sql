-- Two scans as credwatch with schema version 1 wrote them: one complete
-- with an object of every child kind, one partial with no objects. Plain
-- SQL that both dialects read.
INSERT INTO scans (id, tenant_id, source, collected_at, scanned_at, complete, incomplete)
VALUES (1, '11111111-1111-1111-1111-111111111111', 'graph', '2024-11-30T23:59:00.000000000Z',
        '2024-12-01T00:00:00.000000000Z', TRUE, NULL);
INSERT INTO scans (id, tenant_id, source, collected_at, scanned_at, complete, incomplete)
VALUES (2, '11111111-1111-1111-1111-111111111111', 'graph', NULL,
        '2024-12-02T00:00:00.000000000Z', FALSE, '["servicePrincipals: 503 after 5 retries"]');
INSERT INTO objects (scan_id, ord, type, object_id, app_id, display_name, created_at, sign_in_audience,
                     sp_type, app_owner_org_id, first_party, tags)
VALUES (1, 0, 'application', 'obj-v1', 'app-v1', 'Legacy Sync', '2020-01-01T00:00:00.000000000Z',
        'AzureADMyOrg', '', '', FALSE, '["legacy"]');
INSERT INTO credentials (scan_id, object_ord, ord, type, key_id, display_name, hint, start_at, end_at,
                         thumbprint, key_type, key_usage, paired_key_id, issuer, subject, audiences)
VALUES (1, 0, 0, 'secret', 'key-v1', 'old secret', 'q~Z', '2024-01-01T00:00:00.000000000Z',
        '2025-01-01T00:00:00.000000000Z', '', '', '', '', '', '', NULL);
INSERT INTO owners (scan_id, object_ord, ord, type, owner_id, display_name, user_principal_name, mail)
VALUES (1, 0, 0, 'user', 'user-v1', 'Bo', 'bo@contoso.example', '');
INSERT INTO permissions (scan_id, object_ord, ord, resource, resource_app_id, app_role_id, role_value)
VALUES (1, 0, 0, 'Microsoft Graph', '00000003-0000-0000-c000-000000000000',
        'df021288-bdef-4463-88db-98f22de89214', 'User.Read.All');
INSERT INTO findings (scan_id, ord, finding_id, rule_id, severity, object_type, object_id, app_id, app_name,
                      key_id, message, deadline, evidence, suppressed, suppression_reason)
VALUES (1, 0, 'f-v1', 'CW002', 3, 'application', 'obj-v1', 'app-v1', 'Legacy Sync', 'key-v1',
        'secret expires in 31 days', '2025-01-01T00:00:00.000000000Z', '{"daysLeft":"31"}', FALSE, '');
