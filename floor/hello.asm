; The floor: the smallest program this project knows how to write that does what go-app/ does
; (print "Hello, World!" and a newline to standard error, exit 0) on Linux x86-64.
;
; Not Go, and not a trick: a valid 64-bit ELF executable with no section headers and a single
; loadable segment, two system calls and the message. Assembled by nasm as a flat binary
; (`nasm -f bin`), so every byte of the file is written below.
BITS 64
        org     0x400000                ; where the kernel maps the file (p_vaddr below)

ehdr:                                   ; ELF header (Elf64_Ehdr)
        db      0x7F, "ELF"             ; magic
        db      2, 1, 1, 0              ; 64-bit, little-endian, ELF version 1, System V ABI
        times 8 db 0                    ; padding of e_ident
        dw      2                       ; e_type: an executable
        dw      0x3E                    ; e_machine: x86-64
        dd      1                       ; e_version
        dq      _start                  ; e_entry
        dq      phdr - $$               ; e_phoff: the program header follows this one
        dq      0                       ; e_shoff: no section headers
        dd      0                       ; e_flags
        dw      ehdr_size               ; e_ehsize
        dw      phdr_size               ; e_phentsize
        dw      1                       ; e_phnum
        dw      0, 0, 0                 ; e_shentsize, e_shnum, e_shstrndx
ehdr_size equ $ - ehdr

phdr:                                   ; program header (Elf64_Phdr): map the whole file
        dd      1                       ; p_type: PT_LOAD
        dd      5                       ; p_flags: read + execute
        dq      0                       ; p_offset
        dq      $$                      ; p_vaddr
        dq      $$                      ; p_paddr
        dq      file_size               ; p_filesz
        dq      file_size               ; p_memsz
        dq      0x1000                  ; p_align
phdr_size equ $ - phdr

_start:                                 ; push/pop loads a small constant in 3 bytes, mov in 5
        push    1                       ; write(2, message, length)
        pop     rax
        push    2
        pop     rdi
        lea     rsi, [rel message]
        push    message_size
        pop     rdx
        syscall
        push    60                      ; exit(0)
        pop     rax
        xor     edi, edi
        syscall

message:
        db      "Hello, World!", 10
message_size equ $ - message

file_size equ $ - $$
