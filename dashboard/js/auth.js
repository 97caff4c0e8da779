// Sign-in against the Cognito user pool with plain fetch calls (no SDK).
// Tokens live in sessionStorage (gone when the tab closes); passwords are never stored.

const STORAGE_KEY = 'inventory.session';
const REFRESH_MARGIN_MS = 60_000;

export class AuthError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/** Raised when the session cannot be renewed: the user must sign in again. */
export class SessionExpiredError extends Error {
  constructor() {
    super('Your session has expired. Please sign in again.');
  }
}

const FRIENDLY = {
  NotAuthorizedException: 'Incorrect username or password.',
  UserNotFoundException: 'Incorrect username or password.',
  PasswordResetRequiredException: 'Your password must be reset by an administrator.',
  UserNotConfirmedException: 'This account is not confirmed yet.',
  TooManyRequestsException: 'Too many attempts. Wait a moment and try again.',
  LimitExceededException: 'Too many attempts. Wait a moment and try again.',
};

/** A message fit to show the user for a failed sign-in step. */
export function describeAuthError(error) {
  if (error instanceof AuthError) {
    if (error.code === 'InvalidPasswordException') return `The new password is not accepted: ${error.message}`;
    if (error.code === 'NetworkError') return 'The sign-in service cannot be reached. Check your connection and try again.';
    return FRIENDLY[error.code] || `Sign-in failed: ${error.message}`;
  }
  return `Sign-in failed: ${error.message}`;
}

/** The claims of a JWT (not verified: the API verifies; this only reads expiry and names). */
export function decodeClaims(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const padded = part + '='.repeat((4 - (part.length % 4)) % 4);
    const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

export class Auth {
  constructor(config) {
    this.config = config;
    this.refreshing = null;
  }

  async call(action, body) {
    let response;
    try {
      response = await fetch(this.config.cognitoEndpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${action}`,
        },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new AuthError('NetworkError', error.message);
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const code = String(data.__type || data.code || 'UnknownError').split('#').pop();
      throw new AuthError(code, data.message || data.Message || `HTTP ${response.status}`);
    }
    return data;
  }

  get session() {
    try {
      return JSON.parse(sessionStorage.getItem(STORAGE_KEY)) || null;
    } catch {
      return null;
    }
  }

  get signedIn() {
    return Boolean(this.session?.idToken);
  }

  /** Display details from the ID token: username, groups, stores. */
  get user() {
    const claims = decodeClaims(this.session?.idToken || '') || {};
    return {
      username: claims['cognito:username'] || this.session?.username || '',
      admin: (claims['cognito:groups'] || []).includes('admin'),
      stores: claims['custom:stores'] || '',
    };
  }

  store(result, username, previous = {}) {
    const session = {
      username,
      idToken: result.IdToken,
      accessToken: result.AccessToken,
      refreshToken: result.RefreshToken || previous.refreshToken,
    };
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    return session;
  }

  clear() {
    sessionStorage.removeItem(STORAGE_KEY);
    sessionStorage.removeItem('inventory.store');
  }

  /** Username + password. Returns {challenge} when a new password is required, else {}. */
  async signIn(username, password) {
    const data = await this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.config.userPoolClientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    if (data.ChallengeName === 'NEW_PASSWORD_REQUIRED') {
      return { challenge: { name: data.ChallengeName, session: data.Session, username } };
    }
    if (data.ChallengeName) throw new AuthError(data.ChallengeName, `Unsupported sign-in step: ${data.ChallengeName}`);
    this.store(data.AuthenticationResult, username);
    return {};
  }

  /** Answer the first-login challenge with the user's new password. */
  async completeNewPassword(challenge, newPassword) {
    const data = await this.call('RespondToAuthChallenge', {
      ChallengeName: 'NEW_PASSWORD_REQUIRED',
      ClientId: this.config.userPoolClientId,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, NEW_PASSWORD: newPassword },
    });
    if (!data.AuthenticationResult) throw new AuthError(data.ChallengeName || 'UnknownError', 'Sign-in did not complete.');
    this.store(data.AuthenticationResult, challenge.username);
  }

  /** Renew the tokens with the refresh token; a failure means the session is over. */
  async refresh() {
    if (!this.refreshing) {
      this.refreshing = (async () => {
        const previous = this.session;
        if (!previous?.refreshToken) throw new SessionExpiredError();
        try {
          const data = await this.call('InitiateAuth', {
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: this.config.userPoolClientId,
            AuthParameters: { REFRESH_TOKEN: previous.refreshToken },
          });
          return this.store(data.AuthenticationResult, previous.username, previous).idToken;
        } catch (error) {
          if (error instanceof AuthError && error.code === 'NetworkError') throw error;
          this.clear();
          throw new SessionExpiredError();
        }
      })().finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing;
  }

  /** An ID token valid for at least another minute, refreshed silently when needed. */
  async idToken() {
    const session = this.session;
    if (!session?.idToken) throw new SessionExpiredError();
    const claims = decodeClaims(session.idToken);
    if (claims && typeof claims.exp === 'number' && claims.exp * 1000 - REFRESH_MARGIN_MS > Date.now()) {
      return session.idToken;
    }
    return this.refresh();
  }

  /** Sign out everywhere (best effort) and forget the tokens. */
  async signOut() {
    const accessToken = this.session?.accessToken;
    this.clear();
    if (accessToken) {
      await this.call('GlobalSignOut', { AccessToken: accessToken }).catch(() => {});
    }
  }
}
