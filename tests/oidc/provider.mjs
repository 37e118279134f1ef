// A real OpenID provider (the OpenID-certified `oidc-provider` package) on loopback, for
// Simpa's single sign-on tests. It prints its issuer on the first line of stdout.
//
// Environment: OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI (the one client, Simpa).
//
// What a test drives, besides the provider's own endpoints:
// - GET /interaction/:uid?sub=…&email=…&email_verified=true&name=… : the person signs in (any
//   claims the test gives) and consents; the provider goes on to Simpa's callback.
// - POST /_test/next-id-token {"aud": "…"} or {"expired": true}: the next ID token the token
//   endpoint gives is re-signed, with the provider's own key, for that audience or already
//   expired (what a misconfigured or hostile provider would send).
import Provider from 'oidc-provider';
import * as jose from 'jose';
import http from 'node:http';

const { OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_REDIRECT_URI } = process.env;
const accounts = new Map();
let nextIdToken = null;

const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await jose.exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

let provider;
const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname.startsWith('/interaction/')) {
      return await finishInteraction(req, res, url);
    }
    if (url.pathname === '/_test/next-id-token' && req.method === 'POST') {
      nextIdToken = JSON.parse(await body(req));
      res.writeHead(204).end();
      return;
    }
    provider.callback()(req, res);
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
  }
});

await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

provider = new Provider(issuer, {
  clients: [{
    client_id: OIDC_CLIENT_ID,
    client_secret: OIDC_CLIENT_SECRET,
    redirect_uris: [OIDC_REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks: { keys: [jwk] },
  cookies: { keys: ['simpa-tests-only'] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  async findAccount(ctx, sub) {
    const claims = accounts.get(sub);
    return claims && { accountId: sub, claims: async () => ({ sub, ...claims }) };
  },
});

// A re-signed ID token, when a test asked for one.
provider.use(async (ctx, next) => {
  await next();
  if (ctx.path === '/token' && nextIdToken && ctx.body?.id_token) {
    const claims = jose.decodeJwt(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (nextIdToken.aud) claims.aud = nextIdToken.aud;
    if (nextIdToken.expired) Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    ctx.body = {
      ...ctx.body,
      id_token: await new jose.SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: jwk.kid })
        .sign(privateKey),
    };
    nextIdToken = null;
  }
});

async function finishInteraction(req, res, url) {
  const details = await provider.interactionDetails(req, res);
  const sub = url.searchParams.get('sub');
  accounts.set(sub, {
    email: url.searchParams.get('email') ?? undefined,
    email_verified: url.searchParams.get('email_verified') === 'true',
    name: url.searchParams.get('name') ?? undefined,
  });
  const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, {
    login: { accountId: sub },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

function body(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (chunk) => { data += chunk; });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

process.stdout.write(`${issuer}\n`);
