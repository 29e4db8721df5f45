/** The operator's admin token, kept for this browser tab only (sessionStorage), shared by the overview and the customer pages. */

const KEY = 'hookpost.adminToken';

export function storedAdminToken(): string | null {
  return sessionStorage.getItem(KEY);
}

export function storeAdminToken(token: string | null): void {
  if (token === null) {
    sessionStorage.removeItem(KEY);
  } else {
    sessionStorage.setItem(KEY, token);
  }
}
