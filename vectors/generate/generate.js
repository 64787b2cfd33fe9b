#!/usr/bin/env node
// Computes the expected values of srp-device's known-answer vectors with AWS's own
// JavaScript client, amazon-cognito-identity-js (pinned in package.json), driven with
// injected randomness and a fixed clock. Inputs come from plan.json (see plan.py).
//
//   cd vectors/generate && npm ci && node generate.js plan.json ..
//
// Randomness: the library draws every random byte through utils/cryptoSecureRandomInt;
// we replace that one function with a queue of the bytes the plan names. The clock:
// `new Date()` is replaced while the library signs, so its own DateHelper formats it.
'use strict';
const fs = require('fs');
const path = require('path');

const libDir = path.dirname(require.resolve('amazon-cognito-identity-js/lib/index.js'));
const rngModule = require(path.join(libDir, 'utils', 'cryptoSecureRandomInt.js'));
const { AuthenticationHelper, CognitoUser, CognitoUserPool, AuthenticationDetails } =
  require('amazon-cognito-identity-js');
const BigInteger = require(path.join(libDir, 'BigInteger.js')).default;
const version = require('amazon-cognito-identity-js/package.json').version;

// ---- injected randomness -------------------------------------------------
let queue = [];
function feed(hex) { queue.push(...Buffer.from(hex, 'hex')); }
rngModule.default = function injectedRandomInt() {
  if (queue.length < 4) throw new Error('random queue exhausted');
  const b = queue.splice(0, 4);
  return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0; // WordArray reads words big-endian
};
function expectEmpty(id) { if (queue.length) throw new Error(`${id}: ${queue.length} unused random bytes`); }

// ---- injected clock --------------------------------------------------------
const RealDate = Date;
function withClock(ms, fn) {
  global.Date = class extends RealDate {
    constructor(...args) { if (args.length === 0) super(ms); else super(...args); }
    static now() { return ms; }
  };
  try { return fn(); } finally { global.Date = RealDate; }
}

// ---- observation of intermediate values (wrappers only record) ---------------
let observed = {};
const origKey = AuthenticationHelper.prototype.getPasswordAuthenticationKey;
AuthenticationHelper.prototype.getPasswordAuthenticationKey = function (u, p, B, salt, cb) {
  const helper = this;
  return origKey.call(this, u, p, B, salt, function (err, hkdf) {
    if (!err) { observed.u_hex = helper.UValue.toString(16); observed.key_hex = Buffer.from(hkdf).toString('hex'); }
    return cb(err, hkdf);
  });
};
const origS = AuthenticationHelper.prototype.calculateS;
AuthenticationHelper.prototype.calculateS = function (x, B, cb) {
  return origS.call(this, x, B, function (err, s) { if (!err) observed.S_hex = s.toString(16); return cb(err, s); });
};

function newHelper(poolName) { feed('01'.repeat(128)); return new AuthenticationHelper(poolName); }
function b64(hex) { return Buffer.from(hex, 'hex').toString('base64'); }

// v for a salt the library would not itself choose (a negative one), with its own primitives.
function verifierFor(helper, saltBI, pool, identity, password) {
  const x = new BigInteger(helper.hexHash(helper.padHex(saltBI) + helper.hash(`${pool}${identity}:${password}`)), 16);
  let v; helper.g.modPow(x, helper.N, (err, r) => { if (err) throw err; v = r; });
  return v;
}
function serverB(helper, v, bHex) {
  let gb; helper.g.modPow(new BigInteger(bHex, 16), helper.N, (err, r) => { if (err) throw err; gb = r; });
  return helper.k.multiply(v).add(gb).mod(helper.N);
}

// ---- device verifier (ConfirmDevice) -------------------------------------------------
function deviceVerifier(c, helper) {
  feed(c.password_random_hex); feed(c.salt_random_hex);
  helper.generateHashDevice(c.device_group_key, c.device_key, (err) => { if (err) throw err; });
  expectEmpty(c.id);
  // exactly as CognitoUser.authenticateUserInternal builds DeviceSecretVerifierConfig
  return {
    id: c.id, device_key: c.device_key, device_group_key: c.device_group_key,
    password_random_hex: c.password_random_hex, salt_random_hex: c.salt_random_hex,
    device_password: helper.getRandomPassword(),
    salt_hex: helper.getSaltDevices().toLowerCase(), verifier_hex: helper.getVerifierDevices().toLowerCase(),
    Salt: b64(helper.getSaltDevices()), PasswordVerifier: b64(helper.getVerifierDevices()),
  };
}

function fakeClient(script) {
  return { request(op, params, cb) { return script(op, params, cb); } };
}
const pool = new CognitoUserPool({ UserPoolId: 'us-east-1_srpDevice', ClientId: 'vectorsclientid0000000000' });

// ---- device sign-in (DEVICE_SRP_AUTH, DEVICE_PASSWORD_VERIFIER) ----------------------------
function deviceAuth(c, helper) {
  let password, saltBI, v, saltB64;
  if (c.salt_signed) {
    password = Buffer.from(c.password_random_hex, 'hex').toString('base64');
    saltBI = new BigInteger(c.salt_random_hex, 16).subtract(new BigInteger('1' + '0'.repeat(32), 16));
    v = verifierFor(helper, saltBI, c.device_group_key, c.device_key, password);
    saltB64 = b64(c.salt_random_hex);
  } else {
    const conf = deviceVerifier(c, helper);
    password = conf.device_password;
    saltBI = new BigInteger(conf.salt_hex, 16);
    v = new BigInteger(conf.verifier_hex, 16);
    saltB64 = conf.Salt;
  }
  const B = serverB(helper, v, c.b_hex);
  const params = {
    SRP_B: c.srp_b_override || B.toString(16), SALT: saltBI.toString(16),
    SECRET_BLOCK: b64(c.secret_block_hex), USERNAME: c.username,
  };
  const user = new CognitoUser({ Username: c.username, Pool: pool });
  user.deviceKey = c.device_key; user.deviceGroupKey = c.device_group_key; user.randomPassword = password;
  user.Session = 'device-session-1';
  const sent = {};
  user.client = fakeClient((op, req, cb) => {
    if (req.ChallengeName === 'DEVICE_SRP_AUTH') {
      sent.srp = req;
      return cb(null, { ChallengeName: 'DEVICE_PASSWORD_VERIFIER', ChallengeParameters: params, Session: 'device-session-2' });
    }
    sent.verifier = req;
    return cb(new Error('vector captured'));
  });
  observed = {};
  const out = {
    id: c.id, device_key: c.device_key, device_group_key: c.device_group_key, device_password: password,
    username: c.username, salt_random_hex: c.salt_random_hex, salt_signed: !!c.salt_signed,
    Salt: saltB64, verifier_hex: v.toString(16), a_hex: c.a_random_hex, b_hex: c.b_hex,
    now: new RealDate(Number(c.now_ms)).toISOString(), ChallengeParameters: params,
  };
  feed(c.a_random_hex);
  try {
    withClock(Number(c.now_ms), () => user.getDeviceResponse({ onFailure() {}, onSuccess() {} }));
  } catch (e) {
    out.error = e.message;
  }
  expectEmpty(c.id);
  out.SRP_A = sent.srp.ChallengeResponses.SRP_A;
  out.device_srp_auth_request = sent.srp;
  if (!out.error) {
    Object.assign(out, observed);
    out.device_password_verifier_request = sent.verifier;
  }
  return out;
}

// ---- user sign-in (USER_SRP_AUTH, PASSWORD_VERIFIER) ----------------------------
function userAuth(c, helper) {
  const userPool = new CognitoUserPool({ UserPoolId: c.user_pool_id, ClientId: 'vectorsclientid0000000000' });
  const poolName = userPool.getUserPoolName();
  const saltBI = new BigInteger(c.salt_random_hex, 16);
  const v = verifierFor(helper, saltBI, poolName, c.user_id_for_srp, c.password);
  const B = serverB(helper, v, c.b_hex);
  const params = {
    USER_ID_FOR_SRP: c.user_id_for_srp, SRP_B: B.toString(16), SALT: saltBI.toString(16),
    SECRET_BLOCK: b64(c.secret_block_hex), USERNAME: c.user_id_for_srp,
  };
  const user = new CognitoUser({ Username: c.username, Pool: userPool });
  const sent = {};
  user.client = fakeClient((op, req, cb) => {
    if (op === 'InitiateAuth') {
      sent.initiate = req;
      return cb(null, { ChallengeName: 'PASSWORD_VERIFIER', ChallengeParameters: params, Session: 'user-session-1' });
    }
    sent.verifier = req;
    return cb(new Error('vector captured'));
  });
  observed = {};
  feed(c.a_random_hex);
  withClock(Number(c.now_ms), () => user.authenticateUser(
    new AuthenticationDetails({ Username: c.username, Password: c.password }),
    { onFailure() {}, onSuccess() {} },
  ));
  expectEmpty(c.id);
  return Object.assign({
    id: c.id, user_pool_id: c.user_pool_id, username: c.username, password: c.password,
    salt_random_hex: c.salt_random_hex, verifier_hex: v.toString(16), a_hex: c.a_random_hex, b_hex: c.b_hex,
    now: new RealDate(Number(c.now_ms)).toISOString(), ChallengeParameters: params,
    initiate_auth_request: sent.initiate, password_verifier_request: sent.verifier,
  }, observed);
}

function write(dir, name, description, vectors) {
  const doc = {
    description,
    source: `computed by amazon-cognito-identity-js ${version} (npm, AWS) driven by vectors/generate/generate.js ` +
      'with injected randomness and clock; inputs from vectors/generate/plan.json',
    vectors,
  };
  fs.writeFileSync(path.join(dir, name), JSON.stringify(doc, null, 1) + '\n');
  console.log(`${name}: ${vectors.length} vectors`);
}

function main() {
  const [planFile = 'plan.json', outDir = '..'] = process.argv.slice(2);
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8'));
  const helper = newHelper('unused');
  write(outDir, 'device_verifier.json',
    'ConfirmDevice DeviceSecretVerifierConfig from AuthenticationHelper.generateHashDevice',
    plan.device_verifier.map((c) => deviceVerifier(c, helper)));
  write(outDir, 'device_auth.json',
    'DEVICE_SRP_AUTH and DEVICE_PASSWORD_VERIFIER requests from CognitoUser.getDeviceResponse',
    plan.device_auth.map((c) => deviceAuth(c, helper)));
  write(outDir, 'user_auth.json',
    'USER_SRP_AUTH InitiateAuth and PASSWORD_VERIFIER requests from CognitoUser.authenticateUser',
    plan.user_auth.map((c) => userAuth(c, helper)));
}
main();
