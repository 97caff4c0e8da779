// Sign-in against the Cognito user pool with plain fetch calls (no SDK).
// Tokens live in this module's memory only: never in sessionStorage, localStorage or cookies,
// so a reload or a new tab signs in again (dashboard/README.md says why). Passwords are never kept.

const REFRESH_MARGIN_MS = 60_000;
const MFA_DEVICE_NAME = 'Inventory dashboard';

export class AuthError extends Error {
  constructor(code, message) {
    super(message || code);
    this.code = code;
  }
}

/** Raised when the session cannot be renewed (or was ended): the user must sign in again. */
export class SessionExpiredError extends Error {
  constructor(message = 'You were signed out: your session has expired. Please sign in again.') {
    super(message);
  }
}

const FRIENDLY = {
  NotAuthorizedException: 'Incorrect username or password.',
  UserNotFoundException: 'Incorrect username or password.',
  PasswordResetRequiredException: 'Your password must be reset: use “Forgot your password?” below.',
  UserNotConfirmedException: 'This account is not confirmed yet.',
  TooManyRequestsException: 'Too many attempts. Wait a moment and try again.',
  LimitExceededException: 'Too many attempts. Wait a few minutes and try again.',
  TooManyFailedAttemptsException: 'Too many wrong attempts. Wait a few minutes and try again.',
  CodeMismatchException: 'That code is not right. Enter the code shown now (codes change every 30 seconds).',
  EnableSoftwareTokenMFAException: 'That code is not right. Enter the code your authenticator app shows now.',
  ExpiredCodeException: 'That code has expired or was already used. Request a new code.',
  CodeDeliveryFailureException: 'The code could not be sent. Try again later or ask head office.',
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

/** The otpauth:// URI an authenticator app reads from the QR code (Key Uri Format). */
export function otpauthUri(secret, username, issuer) {
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(username)}`;
  const query = new URLSearchParams({ secret, issuer, algorithm: 'SHA1', digits: '6', period: '30' });
  return `otpauth://totp/${label}?${query}`;
}

/** The challenges the page can answer, as Cognito names them. */
export const CHALLENGES = ['NEW_PASSWORD_REQUIRED', 'SOFTWARE_TOKEN_MFA', 'MFA_SETUP'];

export class Auth {
  // Private fields: no other script can read the tokens through this object's properties.
  #tokens = null;
  #refreshing = null;

  constructor(config) {
    this.config = config;
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
        cache: 'no-store',
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

  get signedIn() {
    return Boolean(this.#tokens?.idToken);
  }

  /** Display details from the ID token: username, groups, stores. */
  get user() {
    const claims = decodeClaims(this.#tokens?.idToken || '') || {};
    return {
      username: claims['cognito:username'] || this.#tokens?.username || '',
      admin: (claims['cognito:groups'] || []).includes('admin'),
      stores: claims['custom:stores'] || '',
    };
  }

  #accept(result, username) {
    if (!result?.IdToken) throw new AuthError('UnknownError', 'Sign-in did not complete.');
    const previous = this.#tokens || {};
    this.#tokens = {
      username,
      idToken: result.IdToken,
      accessToken: result.AccessToken,
      // A refresh answers without a new refresh token: keep the one we have.
      refreshToken: result.RefreshToken || previous.refreshToken,
    };
  }

  /** Forget the tokens (they stay valid at Cognito until they expire: signOut() revokes). */
  clear() {
    this.#tokens = null;
    sessionStorage.removeItem('inventory.store');
  }

  /** The next step of a sign-in: {challenge} to answer, or {} when signed in. */
  #next(data, username) {
    if (data.AuthenticationResult) {
      this.#accept(data.AuthenticationResult, username);
      return {};
    }
    if (CHALLENGES.includes(data.ChallengeName)) {
      return { challenge: { name: data.ChallengeName, session: data.Session, username, parameters: data.ChallengeParameters || {} } };
    }
    throw new AuthError(data.ChallengeName || 'UnknownError', `This sign-in step is not supported here: ${data.ChallengeName}`);
  }

  /** Username + password. */
  async signIn(username, password) {
    const data = await this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.config.userPoolClientId,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this.#next(data, username);
  }

  async #respond(challenge, responses) {
    const data = await this.call('RespondToAuthChallenge', {
      ChallengeName: challenge.name,
      ClientId: this.config.userPoolClientId,
      Session: challenge.session,
      ChallengeResponses: { USERNAME: challenge.username, ...responses },
    });
    return this.#next(data, challenge.username);
  }

  /** Answer the first-login challenge with the user's new password (MFA setup may follow). */
  completeNewPassword(challenge, newPassword) {
    return this.#respond(challenge, { NEW_PASSWORD: newPassword });
  }

  /** Answer SOFTWARE_TOKEN_MFA with the authenticator app's current code. */
  answerMfa(challenge, code) {
    return this.#respond(challenge, { SOFTWARE_TOKEN_MFA_CODE: code });
  }

  /** MFA_SETUP, step 1: a new TOTP secret for this sign-in. Returns {secret, challenge}. */
  async beginMfaSetup(challenge) {
    const data = await this.call('AssociateSoftwareToken', { Session: challenge.session });
    return { secret: data.SecretCode, challenge: { ...challenge, session: data.Session || challenge.session } };
  }

  /** MFA_SETUP, step 2: prove the app works, finish the sign-in, and prefer TOTP from now on. */
  async finishMfaSetup(challenge, code) {
    const verified = await this.call('VerifySoftwareToken', {
      Session: challenge.session,
      UserCode: code,
      FriendlyDeviceName: MFA_DEVICE_NAME,
    });
    if (verified.Status && verified.Status !== 'SUCCESS') throw new AuthError('CodeMismatchException', 'Code not accepted');
    const result = await this.#respond({ ...challenge, session: verified.Session || challenge.session }, {});
    if (!result.challenge) await this.#preferTotp(true);
    return result;
  }

  async #preferTotp(enabled) {
    await this.call('SetUserMFAPreference', {
      AccessToken: this.#tokens.accessToken,
      SoftwareTokenMfaSettings: { Enabled: enabled, PreferredMfa: enabled },
    });
  }

  /** Whether the signed-in user has TOTP turned on. */
  async mfaEnabled() {
    const data = await this.call('GetUser', { AccessToken: await this.accessToken() });
    return (data.UserMFASettingList || []).includes('SOFTWARE_TOKEN_MFA') || data.PreferredMfaSetting === 'SOFTWARE_TOKEN_MFA';
  }

  /** Enrolment while signed in, step 1: a new TOTP secret. */
  async startMfaEnrolment() {
    const data = await this.call('AssociateSoftwareToken', { AccessToken: await this.accessToken() });
    return data.SecretCode;
  }

  /** Enrolment while signed in, step 2: verify a code, then turn TOTP on and make it preferred. */
  async confirmMfaEnrolment(code) {
    const verified = await this.call('VerifySoftwareToken', {
      AccessToken: await this.accessToken(),
      UserCode: code,
      FriendlyDeviceName: MFA_DEVICE_NAME,
    });
    if (verified.Status && verified.Status !== 'SUCCESS') throw new AuthError('CodeMismatchException', 'Code not accepted');
    await this.#preferTotp(true);
  }

  async turnOffMfa() {
    await this.accessToken();
    await this.#preferTotp(false);
  }

  /** Ask Cognito to send a password-reset code. Returns where it went (masked), when Cognito says. */
  async forgotPassword(username) {
    const data = await this.call('ForgotPassword', { ClientId: this.config.userPoolClientId, Username: username });
    return data.CodeDeliveryDetails || null;
  }

  async confirmForgotPassword(username, code, newPassword) {
    await this.call('ConfirmForgotPassword', {
      ClientId: this.config.userPoolClientId,
      Username: username,
      ConfirmationCode: code,
      Password: newPassword,
    });
  }

  /** Renew the tokens with the refresh token; a failure means the session is over. */
  async refresh() {
    if (!this.#refreshing) {
      this.#refreshing = (async () => {
        const previous = this.#tokens;
        if (!previous?.refreshToken) throw new SessionExpiredError();
        try {
          const data = await this.call('InitiateAuth', {
            AuthFlow: 'REFRESH_TOKEN_AUTH',
            ClientId: this.config.userPoolClientId,
            AuthParameters: { REFRESH_TOKEN: previous.refreshToken },
          });
          this.#accept(data.AuthenticationResult, previous.username);
          return this.#tokens.idToken;
        } catch (error) {
          if (error instanceof AuthError && error.code === 'NetworkError') throw error;
          this.clear();
          throw new SessionExpiredError();
        }
      })().finally(() => {
        this.#refreshing = null;
      });
    }
    return this.#refreshing;
  }

  #fresh(token) {
    const claims = decodeClaims(token || '');
    return Boolean(claims && typeof claims.exp === 'number' && claims.exp * 1000 - REFRESH_MARGIN_MS > Date.now());
  }

  /** An ID token valid for at least another minute, refreshed silently when needed. */
  async idToken() {
    if (!this.#tokens?.idToken) throw new SessionExpiredError();
    if (this.#fresh(this.#tokens.idToken)) return this.#tokens.idToken;
    return this.refresh();
  }

  /** An access token for the user's own account calls (MFA settings). */
  async accessToken() {
    if (!this.#tokens?.accessToken) throw new SessionExpiredError();
    if (!this.#fresh(this.#tokens.accessToken)) await this.refresh();
    return this.#tokens.accessToken;
  }

  /**
   * Ask the API to end this session (`sign-out`) or every session of the user (`mfa-enrolled`, once
   * TOTP is on): it then refuses their ID tokens, which the API's token check alone would accept until
   * they expire. Best effort.
   */
  async #endSessions(route) {
    const token = this.#tokens?.idToken && (await this.idToken().catch(() => null));
    if (!token || !this.config.apiUrl) return;
    await fetch(`${this.config.apiUrl}/session/${route}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' },
      cache: 'no-store',
    }).catch(() => {});
  }

  /**
   * Sign out: end the session at the API, revoke the refresh token (Cognito then also refuses the
   * access and ID tokens issued from it) and forget every token. Best effort: the tokens are
   * forgotten either way.
   */
  async signOut() {
    await this.#endSessions('sign-out');
    const refreshToken = this.#tokens?.refreshToken;
    this.clear();
    if (refreshToken) {
      await this.call('RevokeToken', { ClientId: this.config.userPoolClientId, Token: refreshToken }).catch(() => {});
    }
  }

  /**
   * TOTP was just turned on: every session that began with the password alone ends, this one too
   * (the API then grants admin rights only to a sign-in made with the code). Sign in again after.
   */
  async mfaEnrolled() {
    await this.#endSessions('mfa-enrolled');
    this.clear();
  }
}
