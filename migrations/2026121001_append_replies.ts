import { type Kysely, PostgresAdapter, sql } from 'kysely'

// Replies to one thread written together on PostgreSQL (issue 15; db/posts.ts, replyWriter): ten
// posters replying to one thread at once each took the thread's row in turn inside PostgreSQL,
// and the waiting cost more than the writing (pgbench, the one-reply statement on one thread:
// 1,735 a second from one client, 1,278 from ten, at twice the CPU each). A node now sends a
// thread's replies one batch at a time, and a batch is this function (a reply alone too, since 2026-12-05; db/posts.ts): the
// thread's row taken first, then each post numbered and given its id in order (ids rise with
// numbers, as one at a time, across nodes too), one commit for them all. A reply whose key has no
// row is skipped (its caller writes key and post in a transaction). SQLite writes its posts one
// at a time in group commits (group-commit.ts): nothing to add there.
const isPg = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`create function append_replies(p_thread integer, p_fingerprints text[], p_signings text[], p_sources text[], p_signed text[], p_created text[], p_htmls text[])
    returns table (ord integer, id integer, number integer, post_count integer) language plpgsql as $$
    #variable_conflict use_column
    declare
      keys integer[];
      n integer;
      last_n integer;
      count_before integer;
      i integer;
      new_id integer;
      seq text := pg_get_serial_sequence('post', 'id');
      k integer := 0;
      last_at text;
    begin
      select array_agg(pk.id order by f.o) into keys
        from unnest(p_fingerprints) with ordinality as f(fp, o) left join public_key pk on pk.fingerprint = f.fp;
      n := coalesce(cardinality(array_remove(keys, null)), 0);
      if n = 0 then return; end if;
      select t.last_number, t.post_count into last_n, count_before from thread t where t.id = p_thread for update;
      if not found then return; end if;
      for i in 1 .. cardinality(keys) loop
        continue when keys[i] is null;
        k := k + 1;
        new_id := nextval(seq);
        insert into post (id, thread_id, key_id, signing, body_source, signed_text, created_at, body_html, number)
          values (new_id, p_thread, keys[i], p_signings[i], p_sources[i], p_signed[i], p_created[i], p_htmls[i], last_n + k);
        last_at := p_created[i];
        ord := i; id := new_id; number := last_n + k; post_count := count_before + k;
        return next;
      end loop;
      update thread t set post_count = count_before + n, last_number = last_n + n, last_post_at = last_at, last_post_id = new_id where t.id = p_thread;
    end $$`.execute(db)
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isPg(db)) return
  await sql`drop function append_replies(integer, text[], text[], text[], text[], text[], text[])`.execute(db)
}
