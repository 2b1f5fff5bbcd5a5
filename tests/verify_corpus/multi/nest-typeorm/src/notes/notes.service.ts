import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { CreateNoteDto } from './dto/create-note.dto';
import { Note } from './note.entity';

@Injectable()
export class NotesService {
  constructor(@InjectRepository(Note) private readonly notes: Repository<Note>) {}

  list(): Promise<Note[]> {
    return this.notes.find({ order: { id: 'ASC' } });
  }

  get(id: number): Promise<Note | null> {
    return this.notes.findOneBy({ id });
  }

  add(input: CreateNoteDto): Promise<Note> {
    return this.notes.save(this.notes.create({ title: input.title, body: input.body ?? null }));
  }

  async remove(id: number): Promise<boolean> {
    const result = await this.notes.delete({ id });
    return Boolean(result.affected);
  }
}
