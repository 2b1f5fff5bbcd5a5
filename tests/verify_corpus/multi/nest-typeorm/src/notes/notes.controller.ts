import { Body, Controller, Delete, Get, HttpCode, NotFoundException, Param, ParseIntPipe, Post } from '@nestjs/common';
import { CreateNoteDto } from './dto/create-note.dto';
import { NotesService } from './notes.service';

@Controller('notes')
export class NotesController {
  constructor(private readonly service: NotesService) {}

  @Get()
  list() {
    return this.service.list();
  }

  @Post()
  create(@Body() input: CreateNoteDto) {
    return this.service.add(input);
  }

  @Get(':noteId')
  async get(@Param('noteId', ParseIntPipe) noteId: number) {
    const note = await this.service.get(noteId);
    if (!note) throw new NotFoundException();
    return note;
  }

  @Delete(':noteId')
  @HttpCode(204)
  async remove(@Param('noteId', ParseIntPipe) noteId: number) {
    if (!(await this.service.remove(noteId))) throw new NotFoundException();
  }
}
