// Finds the servers that write to the logs container, by walking virtual directories down to the
// level whose children are `y=YYYY/` (the server path). A safety net for servers whose first blob
// event was missed; the Event Grid trigger normally introduces new servers.
import type { ContainerClient } from '@azure/storage-blob';

export async function discoverServers(source: ContainerClient, root = 'resourceId=/', maxDepth = 12): Promise<string[]> {
  const found: string[] = [];
  const walk = async (prefix: string, depth: number): Promise<void> => {
    if (depth > maxDepth) return;
    const children: string[] = [];
    for await (const item of source.listBlobsByHierarchy('/', { prefix })) {
      if (item.kind === 'prefix') children.push(item.name);
    }
    if (children.some((c) => /\/y=\d{4}\/$/.test(c))) {
      found.push(prefix);
      return;
    }
    for (const child of children) await walk(child, depth + 1);
  };
  await walk(root, 0);
  return found;
}
