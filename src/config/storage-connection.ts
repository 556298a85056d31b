// A storage connection as Azure Functions names it: either `<NAME>` holding a connection string
// (Azurite, local development) or identity-based `<NAME>__blobServiceUri` / `__serviceUri` /
// `__accountName` with optional `__credential=managedidentity` and `__clientId`; the state
// connection also serves the server queue (`__queueServiceUri`, src/config/queue-client.ts).

export type StorageConnection =
  | { readonly kind: 'connection-string'; readonly connectionString: string }
  | {
      readonly kind: 'identity';
      readonly blobServiceUri: string;
      readonly clientId: string | undefined;
      readonly managedIdentity: boolean;
      /** `<NAME>__queueServiceUri` when given (the Functions host reads the same setting for the queue trigger). */
      readonly queueServiceUri?: string;
    };

/** The connection named `name`; a bad value is always a problem, an absent one only when `required`. */
export function storageConnectionFromEnv(name: string, env: NodeJS.ProcessEnv, problems: string[], required = true): StorageConnection | null {
  const cs = env[name];
  if (cs) {
    if (!/(^|;)(AccountName|BlobEndpoint)=|UseDevelopmentStorage=true/i.test(cs)) {
      problems.push(`${name}: is not a storage connection string (expected AccountName=…;AccountKey=… or BlobEndpoint=…); for identity-based access set ${name}__blobServiceUri instead`);
      return null;
    }
    return { kind: 'connection-string', connectionString: cs };
  }
  const account = env[`${name}__accountName`];
  const uri = env[`${name}__blobServiceUri`] ?? env[`${name}__serviceUri`] ?? (account ? `https://${account}.blob.core.windows.net` : undefined);
  if (!uri) {
    if (!required) return null;
    problems.push(`${name}: not set; set ${name}__blobServiceUri (https://<account>.blob.core.windows.net) with ${name}__credential=managedidentity and ${name}__clientId, or ${name} to a connection string for Azurite`);
    return null;
  }
  if (!/^https?:\/\//.test(uri)) {
    problems.push(`${name}__blobServiceUri: must be a URL such as https://<account>.blob.core.windows.net (got ${JSON.stringify(uri)})`);
    return null;
  }
  const credential = env[`${name}__credential`];
  if (credential && credential.toLowerCase() !== 'managedidentity') {
    problems.push(`${name}__credential: only "managedidentity" is supported (got ${JSON.stringify(credential)})`);
    return null;
  }
  const queueServiceUri = env[`${name}__queueServiceUri`] || undefined;
  if (queueServiceUri !== undefined && !/^https?:\/\//.test(queueServiceUri)) {
    problems.push(`${name}__queueServiceUri: must be a URL such as https://<account>.queue.core.windows.net (got ${JSON.stringify(queueServiceUri)})`);
    return null;
  }
  return { kind: 'identity', blobServiceUri: uri, clientId: env[`${name}__clientId`] || undefined, managedIdentity: credential?.toLowerCase() === 'managedidentity', ...(queueServiceUri ? { queueServiceUri } : {}) };
}

/** The connection as a CLI user types it: a connection string, or an account URL. */
export function storageConnectionFromCli(value: string, clientId?: string): StorageConnection {
  if (/^https?:\/\//.test(value) && !value.includes(';')) return { kind: 'identity', blobServiceUri: value, clientId, managedIdentity: false };
  return { kind: 'connection-string', connectionString: value };
}
