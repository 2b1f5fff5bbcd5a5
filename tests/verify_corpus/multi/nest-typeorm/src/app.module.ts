import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Author } from './notes/author.entity';
import { Note } from './notes/note.entity';
import { NotesModule } from './notes/notes.module';

@Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'sqlite',
      database: process.env.DATABASE_URL || 'notes.sqlite',
      entities: [Author, Note],
      synchronize: true,
    }),
    NotesModule,
  ],
})
export class AppModule {}
