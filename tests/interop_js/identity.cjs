#!/usr/bin/env node
// Drives AWS's amazon-cognito-identity-js against srp-device's emulator.
//   node identity.cjs '<json>'   with {endpoint, poolId, clientId, username, password, storage, outbox, steps}
// `storage` is a JSON file standing in for the browser's localStorage (the library keeps the
// device key and device password there); `outbox` is the emulator's code endpoint. Each step
// prints one JSON line of what happened.
'use strict';
const fs = require('fs');
const { CognitoUserPool, CognitoUser, AuthenticationDetails } = require('amazon-cognito-identity-js');

const args = JSON.parse(process.argv[2]);

class FileStorage {
  constructor(file) { this.file = file; this.data = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : {}; }
  save() { fs.writeFileSync(this.file, JSON.stringify(this.data)); }
  setItem(k, v) { this.data[k] = String(v); this.save(); return this.data[k]; }
  getItem(k) { return Object.prototype.hasOwnProperty.call(this.data, k) ? this.data[k] : null; }
  removeItem(k) { delete this.data[k]; this.save(); }
  clear() { this.data = {}; this.save(); }
}

const storage = new FileStorage(args.storage);
const pool = new CognitoUserPool({ UserPoolId: args.poolId, ClientId: args.clientId, endpoint: args.endpoint, Storage: storage });
const user = new CognitoUser({ Username: args.username, Pool: pool, Storage: storage });
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function code() {
  const r = await fetch(`${args.outbox}?username=${encodeURIComponent(args.username)}`);
  const body = await r.json();
  return body.codes[body.codes.length - 1];
}

function signIn() {
  return new Promise((resolve, reject) => {
    const steps = [];
    user.authenticateUser(new AuthenticationDetails({ Username: args.username, Password: args.password }), {
      onSuccess(session, userConfirmationNecessary) {
        resolve({ step: 'signIn', ok: true, mfa: steps.includes('mfa'), userConfirmationNecessary: !!userConfirmationNecessary,
          deviceKey: user.deviceKey || null, sub: session.getAccessToken().payload.sub });
      },
      onFailure(err) { resolve({ step: 'signIn', ok: false, code: err.code, message: err.message }); },
      mfaRequired() { steps.push('mfa'); code().then((c) => user.sendMFACode(c, this), reject); },
      totpRequired() { reject(new Error('unexpected TOTP')); },
      newPasswordRequired() { reject(new Error('unexpected new password')); },
    });
  });
}

const call = (fn) => new Promise((resolve) => fn((err, result) => resolve(err ? { ok: false, code: err.code, message: err.message } : { ok: true, result })));

async function main() {
  for (const step of args.steps) {
    if (step === 'signIn') out(await signIn());
    else if (step === 'remember') out({ step, ...(await call((cb) => user.setDeviceStatusRemembered({ onSuccess: (r) => cb(null, r), onFailure: cb }))) });
    else if (step === 'listDevices') {
      const r = await call((cb) => user.listDevices(60, null, { onSuccess: (d) => cb(null, d), onFailure: cb }));
      out({ step, ok: r.ok, code: r.code, keys: r.ok ? r.result.Devices.map((d) => d.DeviceKey) : null });
    } else if (step === 'refresh') {
      const session = await call((cb) => user.getSession(cb));
      const r = await call((cb) => user.refreshSession(session.result.getRefreshToken(), cb));
      out({ step, ok: r.ok, code: r.code, message: r.message });
    } else if (step === 'forgetDevice') {
      out({ step, ...(await call((cb) => user.forgetDevice({ onSuccess: (r) => cb(null, r), onFailure: cb }))) });
    } else throw new Error(`unknown step ${step}`);
  }
}
main().catch((e) => { process.stderr.write(String(e && e.stack || e) + '\n'); process.exit(1); });
