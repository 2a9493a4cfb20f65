/**
 * Objects per page when listing every object of a kind (cleanup --all-nodes, NodeFeatures to delete): with
 * metadata only, a page is a few hundred kB at most, whatever the cluster's size.
 */
const LIST_PAGE_SIZE = 200;

/** The page options to send: `limit`, and from the second page on the server's continue token. */
export interface PageRequest {
  readonly limit: number;
  readonly continue?: string;
}

/** One page of a list as the API server sends it: its items, and the continue token (empty or absent on the last). */
export interface ListPage {
  readonly items?: ReadonlyArray<{ readonly metadata?: { readonly name?: string | undefined } | undefined }>;
  readonly metadata?: { readonly continue?: string | undefined };
}

/** Every item's name, following continue tokens page by page to the end of the list, as nfd-gc does. */
export async function namesInPages(listPage: (request: PageRequest) => Promise<ListPage>): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const page = await listPage({ limit: LIST_PAGE_SIZE, ...(token === undefined ? {} : { continue: token }) });
    for (const item of page.items ?? []) if (item.metadata?.name !== undefined) names.push(item.metadata.name);
    token = page.metadata?.continue || undefined;
  } while (token !== undefined);
  return names;
}
