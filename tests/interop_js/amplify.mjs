#!/usr/bin/env node
// Drives AWS Amplify v6 (aws-amplify, pinned) against srp-device's emulator.
//   node amplify.mjs '<json>'   with {endpoint, poolId, clientId, username, password, outbox, steps}
// Amplify keeps its tokens and device keys in memory in Node: every step runs in this one
// process. Each step prints one JSON line of what happened.
import { Amplify } from 'aws-amplify';
import {
  signIn, confirmSignIn, signOut, rememberDevice, fetchDevices, forgetDevice, fetchAuthSession,
} from 'aws-amplify/auth';
import { cognitoUserPoolsTokenProvider } from 'aws-amplify/auth/cognito';

// Amplify names a new device from navigator.userAgent; Node 21+ has navigator, Node 20 has
// not, and there Amplify's ConfirmDevice silently never happens (against any endpoint).
globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node}` };

const args = JSON.parse(process.argv[2]);
Amplify.configure({
  Auth: { Cognito: { userPoolId: args.poolId, userPoolClientId: args.clientId, userPoolEndpoint: args.endpoint } },
});
// Node has no localStorage: give Amplify a store for its tokens and device keys, as an app would.
const memory = new Map();
cognitoUserPoolsTokenProvider.setKeyValueStorage({
  setItem: async (k, v) => { memory.set(k, v); },
  getItem: async (k) => (memory.has(k) ? memory.get(k) : null),
  removeItem: async (k) => { memory.delete(k); },
  clear: async () => { memory.clear(); },
});
const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');

async function code() {
  const r = await fetch(`${args.outbox}?username=${encodeURIComponent(args.username)}`);
  const body = await r.json();
  return body.codes[body.codes.length - 1];
}

async function doSignIn(authFlowType) {
  const options = authFlowType ? { authFlowType, ...(authFlowType === 'USER_AUTH' ? { preferredChallenge: 'PASSWORD_SRP' } : {}) } : {};
  let result = await signIn({ username: args.username, password: args.password, options });
  const steps = [result.nextStep.signInStep];
  while (!result.isSignedIn && result.nextStep.signInStep === 'CONFIRM_SIGN_IN_WITH_SMS_CODE') {
    result = await confirmSignIn({ challengeResponse: await code() });
    steps.push(result.nextStep.signInStep);
  }
  return { ok: result.isSignedIn, steps, mfa: steps.includes('CONFIRM_SIGN_IN_WITH_SMS_CODE') };
}

async function run(step) {
  try {
    if (step === 'signIn') return { step, ...(await doSignIn()) };
    if (step === 'signInUserAuth') return { step, ...(await doSignIn('USER_AUTH')) };
    if (step === 'remember') { await rememberDevice(); return { step, ok: true }; }
    if (step === 'fetchDevices') { const d = await fetchDevices(); return { step, ok: true, ids: d.map((x) => x.id) }; }
    if (step === 'forgetDevice') { await forgetDevice(); return { step, ok: true }; }
    if (step === 'refresh') {
      const before = (await fetchAuthSession()).tokens.accessToken.toString();
      const after = (await fetchAuthSession({ forceRefresh: true })).tokens.accessToken.toString();
      return { step, ok: Boolean(after) && after !== before };
    }
    if (step === 'signOut') { await signOut(); return { step, ok: true }; }
    throw new Error(`unknown step ${step}`);
  } catch (err) {
    return { step, ok: false, name: err.name, message: err.message };
  }
}

for (const step of args.steps) out(await run(step));
