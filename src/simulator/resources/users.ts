/**
 * Users, groups and the user-group relations (fixed; each user belongs to one group).
 */
import { GROUP_COUNT, USERS, USER_GROUP_ID_BASE, renderGroup, renderUser, renderUserGroup } from '../fixed.js';
import type { Table } from '../table.js';
import { fixedTable } from './shared.js';

export class UserTables {
  readonly users: Table<null> = fixedTable('users', USERS.length, 1, renderUser);
  readonly groups: Table<null> = fixedTable('groups', GROUP_COUNT, 1, renderGroup);
  readonly userGroups: Table<null> = fixedTable('userGroups', USERS.length, USER_GROUP_ID_BASE + 1, renderUserGroup, (parent, parentId) => {
    if (parent === 'group') return USERS.flatMap((user, i) => (user.group === parentId ? [USER_GROUP_ID_BASE + i + 1] : []));
    if (parent === 'user' && parentId >= 1 && parentId <= USERS.length) return [USER_GROUP_ID_BASE + parentId];
    return [];
  });
}
