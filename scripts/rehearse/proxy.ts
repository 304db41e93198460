/**
 * A recording, authorizing HTTP proxy in front of moto. Every function (and the state machine)
 * gets an access key that names its role; each request is parsed into the calls AWS would
 * authorize (aws-calls.ts), each call is decided (iam.ts) and recorded, a denied one answered
 * with AccessDenied as the service would, an allowed one forwarded to moto. A GET or HEAD of a
 * missing S3 key is answered 404 only when the caller may s3:ListBucket that key's prefix,
 * otherwise 403, as S3 does.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseRequest, credentialScope, type ResourceCatalog, type ParsedRequest } from './aws-calls';
import type { AwsCall, Decision } from './iam';

export interface RecordedCall extends AwsCall {
  readonly service: string;
  readonly operation: string;
  /** A call AWS makes with the caller's identity (KMS for S3/SNS/Secrets Manager, log delivery). */
  readonly onBehalf: boolean;
  readonly decision: Decision;
  /** Who made it: a function or state machine name (set by the rehearsal for its own calls). */
  readonly caller: string;
}

export interface RecordingProxy {
  readonly url: string;
  readonly calls: RecordedCall[];
  /** Records (and decides) a call made without HTTP here: the state machine's integrations, X-Ray. */
  record(call: Omit<RecordedCall, 'decision' | 'caller'> & { caller?: string }): Decision;
  stop(): Promise<void>;
}

export interface ProxyOptions {
  readonly target: string;
  readonly catalog: ResourceCatalog;
  /** Access key → role ARN and the name to report the caller by. */
  readonly identities: ReadonlyMap<string, { roleArn: string; caller: string }>;
  readonly authorize: (call: AwsCall) => Decision;
  /** Services answered elsewhere than moto (the local Redshift Data API), by signing name. */
  readonly routes?: ReadonlyMap<string, string>;
}

function deny(res: ServerResponse, parsed: ParsedRequest, message: string, s3Missing = false): void {
  res.statusCode = 403;
  if (parsed.service === 's3') {
    res.setHeader('content-type', 'application/xml');
    res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${s3Missing ? 'Access Denied' : message.replace(/[<&>]/g, ' ')}</Message></Error>`);
  } else if (parsed.service === 'sns') {
    res.setHeader('content-type', 'text/xml');
    res.end(`<ErrorResponse><Error><Type>Sender</Type><Code>AuthorizationError</Code><Message>${message.replace(/[<&>]/g, ' ')}</Message></Error></ErrorResponse>`);
  } else {
    res.setHeader('content-type', 'application/x-amz-json-1.1');
    res.setHeader('x-amzn-errortype', 'AccessDeniedException');
    res.end(JSON.stringify({ __type: 'AccessDeniedException', message }));
  }
}

export async function startRecordingProxy(options: ProxyOptions): Promise<RecordingProxy> {
  const calls: RecordedCall[] = [];
  const target = new URL(options.target);
  const record: RecordingProxy['record'] = (call) => {
    const decision = options.authorize(call);
    calls.push({ ...call, caller: call.caller ?? call.principal, decision });
    return decision;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const http = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers, body };
    const scope = credentialScope(String(req.headers.authorization ?? ''));
    const identity = scope && options.identities.get(scope.accessKeyId);
    let parsed: ParsedRequest;
    try {
      if (!identity) throw new Error(`request ${http.method} ${http.url} with unknown credentials ${scope?.accessKeyId ?? '(none)'}`);
      parsed = parseRequest(http, options.catalog);
    } catch (err) {
      calls.push({ principal: identity?.roleArn ?? 'unknown', caller: identity?.caller ?? 'unknown', service: scope?.service ?? '?', operation: `${http.method} ${http.url}`, action: '?', resource: '?', context: {}, onBehalf: false, decision: { allowed: false, reason: (err as Error).message } });
      res.statusCode = 400;
      res.end((err as Error).message);
      return;
    }
    const decideAll = (list: ParsedRequest['calls']): Decision | undefined => {
      let denied: Decision | undefined;
      for (const c of list) {
        const d = record({ principal: identity.roleArn, caller: identity.caller, service: parsed.service, operation: parsed.operation, action: c.action, resource: c.resource, context: c.context, onBehalf: c.onBehalf ?? false });
        if (!d.allowed) denied ??= { allowed: false, reason: `${c.action} on ${c.resource}: ${d.reason}` };
      }
      return denied;
    };
    const denied = decideAll(parsed.calls.filter((c) => !c.onlyIfFound));
    if (denied) return deny(res, parsed, `User: ${identity.roleArn} is not authorized to perform: ${denied.reason}`);

    const route = options.routes?.get(parsed.service);
    const to = route ? new URL(route) : target;
    const upstream = httpRequest(
      { host: to.hostname, port: to.port, method: http.method, path: http.url, headers: { ...req.headers, host: to.host } },
      (up) => {
        void (async () => {
          const status = up.statusCode ?? 500;
          if (status === 404 && parsed.s3Object) {
            // S3: 404 only for a caller that may list the key's prefix; anyone else learns nothing.
            const { bucket, key } = parsed.s3Object;
            const listCall = { principal: identity.roleArn, action: 's3:ListBucket', resource: `arn:aws:s3:::${bucket}`, context: { 'aws:SecureTransport': 'true', 's3:prefix': key } };
            const list = options.authorize(listCall);
            // S3 consulted the caller's s3:ListBucket to answer 404: an allowed one is a grant in use
            // (code that reads "absent" as 404 needs it); a refused one is S3's 403, not a denied call.
            if (list.allowed) record({ ...listCall, caller: identity.caller, service: 's3', operation: parsed.operation, onBehalf: true });
            if (!list.allowed) {
              up.resume();
              return deny(res, parsed, 'Access Denied', true);
            }
          }
          if (status < 300) {
            const deniedAfter = decideAll(parsed.calls.filter((c) => c.onlyIfFound));
            if (deniedAfter) {
              up.resume();
              return deny(res, parsed, `User: ${identity.roleArn} is not authorized to perform: ${deniedAfter.reason}`);
            }
          }
          res.writeHead(status, up.headers);
          up.pipe(res);
        })();
      },
    );
    upstream.on('error', (err) => {
      res.statusCode = 502;
      res.end(String(err));
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      res.statusCode = 500;
      res.end(err.message);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    record,
    stop: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
