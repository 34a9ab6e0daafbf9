-- golive `role_permissions`: silver uses Django's groups and permissions (one row per grant;
-- a group without grants still appears once, with a NULL permission).
SELECT g.name AS role, p.codename AS permission
FROM auth_group g
LEFT JOIN auth_group_permissions gp ON gp.group_id = g.id
LEFT JOIN auth_permission p ON p.id = gp.permission_id
ORDER BY g.name, p.codename
