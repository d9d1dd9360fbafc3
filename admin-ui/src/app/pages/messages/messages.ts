import { Component } from '@angular/core';

@Component({ selector: 'app-stub', template: '<p>MessagesPage</p>' })
export class MessagesPage {}
