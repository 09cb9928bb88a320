import type { User, UserRole } from '@flotilla/contracts';
import { defineErrors } from '@flotilla/platform';

/** The caller of a request as the HTTP edge knows it: who and with which role. */
export interface Principal {
  id: string;
  role: UserRole;
}

/** What authenticating a request gives the routes: the caller and their current profile. */
export interface Authenticated {
  principal: Principal;
  user: User;
}

/** Errors of the authorisation checks done at the edge. */
export const authErrors = defineErrors({
  ADMIN_REQUIRED: {
    code: 'AUTH.ADMIN_REQUIRED',
    kind: 'forbidden',
    title: 'This operation requires the admin role',
  },
});
