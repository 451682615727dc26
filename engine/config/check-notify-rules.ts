/**
 * Cross-field rules for notifications: routes name targets that exist (and SMTP targets used by
 * routes have recipients), an export's `notify.via` is an SMTP target and its link lives at most 7
 * days (SigV4's limit), webhook URLs are safe (http(s), no credentials, no metadata address), and a
 * header that carries a token is written as a reference. Pure: the loader locates the pointers.
 */
import { isForbiddenHost } from '../net/metadata-address.js';
import { parseReference } from './interpolate-references.js';
import type { NotifyRoutes, Pipeline, Project, WebhookTarget } from './model.js';
import { MAX_LINK_EXPIRES_MS } from './normalize-notify.js';
import type { RuleIssue } from './rule-issue.js';
import { suggest } from './suggest.js';

type Where = { file: string; pointer: string; target?: 'key' | 'value' };

/** Header names whose values are credentials: a literal there would put a secret in git. */
const SENSITIVE_HEADER =
  /^(authorization|proxy-authorization|cookie)$|token|secret|key|signature|password|auth/i;

export function checkNotifyRules(project: Project | undefined, pipelines: readonly Pipeline[]): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (project) {
    for (const target of Object.values(project.notifications ?? {})) {
      if (target.kind === 'webhook') checkWebhook(target, issues);
      else if (isForbiddenHost(target.host)) {
        issues.push({
          code: 'CONFIG_FORBIDDEN_ENDPOINT',
          severity: 'error',
          message: `Notification target "${target.name}": host is a link-local / instance-metadata address.`,
          hint: 'Point it at your mail server, never at a metadata service.',
          file: target.origin.file,
          pointer: `${target.origin.pointer}/host`,
        });
      }
    }
    if (project.notifyDefaults) {
      checkRoutes(project, project.notifyDefaults, issues, (path) => ({
        file: project.file,
        pointer: `/defaults/notify${path}`,
      }));
    }
  }
  if (!project) return issues;
  for (const pipeline of pipelines) {
    const at = (path: string, target?: 'key' | 'value'): Where => ({
      file: pipeline.origin.file,
      pointer: pipeline.origin.pointer + path,
      ...(target ? { target } : {}),
    });
    if (pipeline.notify) checkRoutes(project, pipeline.notify, issues, (path) => at(`/notify${path}`));
    const sink = pipeline.sink;
    if (sink.kind === 's3' && sink.notify) {
      const via = project.notifications?.[sink.notify.via];
      if (!via) {
        issues.push(unknownTarget(project, sink.notify.via, at('/sink/notify/via')));
      } else if (via.kind !== 'smtp') {
        issues.push({
          code: 'CONFIG_CONFLICT',
          severity: 'error',
          message: `sink.notify.via names "${via.name}", a ${via.kind} target; links are sent by email.`,
          hint: 'Name an SMTP target (kind: smtp) under notifications: in ferry.yaml.',
          ...at('/sink/notify/via'),
        });
      }
      if (sink.notify.linkExpiresMs > MAX_LINK_EXPIRES_MS) {
        issues.push({
          code: 'CONFIG_INVALID_VALUE',
          severity: 'error',
          message: 'sink.notify.link_expires is longer than 7d, the longest a presigned S3 link can live.',
          hint: 'Use at most 7d (168h).',
          ...at('/sink/notify/link_expires'),
        });
      }
    }
  }
  return issues;
}

function checkRoutes(
  project: Project,
  routes: NotifyRoutes,
  issues: RuleIssue[],
  at: (path: string) => Where,
): void {
  const lists: Array<[string, string[]]> = [
    ['on_failure', routes.onFailure],
    ['on_success', routes.onSuccess],
    // on_stale defaults to on_failure: names already checked there are not reported twice.
    ['on_stale', routes.onStale.filter((n) => !routes.onFailure.includes(n))],
  ];
  for (const [key, names] of lists) {
    for (const name of names) {
      const index = key === 'on_stale' ? routes.onStale.indexOf(name) : names.indexOf(name);
      const where = at(`/${key}/${index}`);
      const target = project.notifications?.[name];
      if (!target) issues.push(unknownTarget(project, name, where));
      else if (target.kind === 'smtp' && target.to.length === 0) {
        issues.push({
          code: 'CONFIG_MISSING_KEY',
          severity: 'error',
          message: `Notification target "${name}" sends email but has no \`to\`: nobody would receive this route's messages.`,
          hint: `Add to: [someone@example.com] to notifications.${name} in ferry.yaml.`,
          ...where,
        });
      }
    }
  }
}

function unknownTarget(project: Project, name: string, where: Where): RuleIssue {
  const known = Object.keys(project.notifications ?? {});
  const guess = suggest(name, known);
  return {
    code: 'CONFIG_UNKNOWN_NOTIFICATION',
    severity: 'error',
    message: `Unknown notification target "${name}".`,
    hint: guess
      ? `Did you mean "${guess}"?`
      : known.length
        ? `Defined notification targets: ${known.join(', ')}.`
        : 'Define it under notifications: in ferry.yaml.',
    ...where,
  };
}

function checkWebhook(target: WebhookTarget, issues: RuleIssue[]): void {
  const at = (path: string): Where => ({ file: target.origin.file, pointer: target.origin.pointer + path });
  // The URL is a secret setting: it may hold a token, so it is never echoed. One written with
  // references is kept unresolved until sending, where send-webhook.ts checks the resolved URL.
  if (target.url.includes('${')) {
    if (hasMalformedReference(target.url)) {
      issues.push({
        code: 'CONFIG_REFERENCE_INVALID',
        severity: 'error',
        message: `Notification target "${target.name}": url holds a "\${…}" that is not a valid reference.`,
        hint: 'Use ${env:NAME} or ${file:PATH}, e.g. url: "${env:OPS_WEBHOOK_URL}".',
        ...at('/url'),
      });
    }
  } else {
    checkLiteralWebhookUrl(target, issues, at);
  }
  for (const [name, value] of Object.entries(target.headers)) {
    checkHeaderValue(
      target,
      name,
      value,
      issues,
      at(`/headers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`),
    );
  }
}

function hasMalformedReference(value: string): boolean {
  return [...value.matchAll(/\$\{([^}]*)\}/g)].some((m) => parseReference(m[1] ?? '') === undefined);
}

function checkLiteralWebhookUrl(
  target: WebhookTarget,
  issues: RuleIssue[],
  at: (path: string) => Where,
): void {
  let url: URL | undefined;
  try {
    url = new URL(target.url);
  } catch {
    issues.push({
      code: 'CONFIG_INVALID_VALUE',
      severity: 'error',
      message: `Notification target "${target.name}": url is not a valid URL.`,
      hint: 'Write a URL such as https://hooks.example.com/ferry.',
      ...at('/url'),
    });
  }
  if (url) {
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      issues.push({
        code: 'CONFIG_INVALID_VALUE',
        severity: 'error',
        message: `Notification target "${target.name}": url must use http or https.`,
        ...at('/url'),
      });
    }
    if (url.username || url.password) {
      issues.push({
        code: 'CONFIG_CREDENTIALS_IN_URL',
        severity: 'error',
        message: `Notification target "${target.name}": url contains credentials.`,
        hint: 'Remove user:password from the URL; send a token in headers: {Authorization: "${env:WEBHOOK_TOKEN}"}.',
        ...at('/url'),
      });
    }
    if (isForbiddenHost(url.hostname)) {
      issues.push({
        code: 'CONFIG_FORBIDDEN_ENDPOINT',
        severity: 'error',
        message: `Notification target "${target.name}": url is a link-local / instance-metadata address.`,
        hint: 'Point the webhook at your receiver, never at a metadata service.',
        ...at('/url'),
      });
    }
  }
}

function checkHeaderValue(
  target: WebhookTarget,
  name: string,
  value: string,
  issues: RuleIssue[],
  where: Where,
): void {
  const references = [...value.matchAll(/\$\{([^}]*)\}/g)].map((m) => parseReference(m[1] ?? ''));
  if (references.some((ref) => ref === undefined)) {
    issues.push({
      code: 'CONFIG_REFERENCE_INVALID',
      severity: 'error',
      message: `Notification target "${target.name}": header ${name} holds a "\${…}" that is not a valid reference.`,
      hint: 'Use ${env:NAME} or ${file:PATH}, e.g. "Bearer ${env:WEBHOOK_TOKEN}".',
      ...where,
    });
    return;
  }
  if (!SENSITIVE_HEADER.test(name)) return;
  if (references.length === 0 || references.some((ref) => ref?.defaultValue !== undefined)) {
    issues.push({
      code: 'CONFIG_LITERAL_SECRET',
      severity: 'error',
      message: `Notification target "${target.name}": header ${name} carries a credential written as a literal; secrets are accepted only as references.`,
      hint: `Write it as a reference, e.g. ${name}: "${/^(proxy-)?authorization$/i.test(name) ? 'Bearer ' : ''}\${env:WEBHOOK_TOKEN}" (no :-default), and remove the literal from the file and from git history.`,
      ...where,
    });
  }
}
