import { type Kysely, sql } from 'kysely'
import { withId } from './portable.ts'

// Cells, their line, boards, threads, posts, and the public keys that signed them.
export async function up(db: Kysely<any>): Promise<void> {
  await withId(db, db.schema.createTable('cell'))
    .addColumn('slug', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await withId(db, db.schema.createTable('line'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('version', 'integer', (c) => c.notNull().check(sql`version > 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('line_cell_version', ['cell_id', 'version'])
    .execute()

  await withId(db, db.schema.createTable('principle'))
    .addColumn('line_id', 'integer', (c) => c.notNull().references('line.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull().check(sql`number > 0`))
    .addColumn('text', 'text', (c) => c.notNull())
    .addUniqueConstraint('principle_line_number', ['line_id', 'number'])
    .execute()

  await withId(db, db.schema.createTable('board'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('visibility', 'text', (c) => c.notNull().check(sql`visibility in ('public', 'members')`))
    .addColumn('retention_days', 'integer', (c) => c.check(sql`retention_days > 0`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('board_cell_slug', ['cell_id', 'slug'])
    .execute()

  await withId(db, db.schema.createTable('public_key'))
    .addColumn('fingerprint', 'text', (c) => c.notNull().unique())
    .addColumn('armored', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute()

  await withId(db, db.schema.createTable('roster_entry'))
    .addColumn('cell_id', 'integer', (c) => c.notNull().references('cell.id').onDelete('cascade'))
    .addColumn('key_id', 'integer', (c) => c.notNull().references('public_key.id'))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('member', 'voter')`))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('roster_cell_key', ['cell_id', 'key_id'])
    .execute()

  await withId(db, db.schema.createTable('thread'))
    .addColumn('board_id', 'integer', (c) => c.notNull().references('board.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('post_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_post_id', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_post_at', 'text', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('thread_board_activity').on('thread').columns(['board_id', 'last_post_id desc']).execute()

  await withId(db, db.schema.createTable('post'))
    .addColumn('thread_id', 'integer', (c) => c.notNull().references('thread.id').onDelete('cascade'))
    .addColumn('number', 'integer', (c) => c.notNull().check(sql`number > 0`))
    .addColumn('key_id', 'integer', (c) => c.notNull().references('public_key.id'))
    .addColumn('signing', 'text', (c) => c.notNull().check(sql`signing in ('disposable', 'browser', 'gpg-signed', 'session-attested')`))
    .addColumn('body_source', 'text', (c) => c.notNull())
    .addColumn('body_html', 'text', (c) => c.notNull())
    .addColumn('signed_text', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('post_thread_number', ['thread_id', 'number'])
    .execute()
  await db.schema.createIndex('post_key').on('post').column('key_id').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of ['post', 'thread', 'roster_entry', 'public_key', 'board', 'principle', 'line', 'cell']) {
    await db.schema.dropTable(t).execute()
  }
}
